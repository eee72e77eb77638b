from system.deploy.grafana.generate import main

raise SystemExit(main())
