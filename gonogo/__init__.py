"""gonogo: deployment verification and chaos harness for multi-provider AI gateways.

The mechanism lives here: the checklist model, clients of the target, the check registry,
the pytest plugin, the sandbox and the command line. It never imports the folders around it
(checks/, load/, chaos/, rollback/, reports/, installed as gonogo.checks, ...); they reach it
through the `gonogo.plugins` entry points. Its data files are found through gonogo.resources.
"""

__version__ = "0.1.0"
