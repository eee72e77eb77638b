from system.deploy.kubernetes.manifests import main

raise SystemExit(main())
