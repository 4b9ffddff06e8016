pytest_plugins = ["service_kit.testing"]
