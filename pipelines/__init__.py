"""The release-quality platform: the `qa` command, suite runner, gate policy, Allure results and reports."""
