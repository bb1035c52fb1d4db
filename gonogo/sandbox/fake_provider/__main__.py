"""python -m gonogo.sandbox.fake_provider --name alpha --port 8123 [--host H] [--models a,b]
[--require-header NAME=VALUE ...]"""

from gonogo.sandbox.fake_provider.server import main

main()
