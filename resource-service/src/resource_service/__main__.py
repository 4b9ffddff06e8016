import sys

from resource_service.cli import main

sys.exit(main())
