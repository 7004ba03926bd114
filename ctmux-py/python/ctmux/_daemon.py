"""Entry point of the ctmux event daemon: ``python -m ctmux._daemon <arguments>``.

``Client.daemon_start()`` runs this in a separate process with the arguments the core writes
(which server, which state dir); it serves until asked to stop (``Client.daemon_stop()``,
SIGTERM). Not meant to be run by hand.
"""

import sys

from ctmux._ctmux import daemon_run_from_args


def main() -> None:
    """Run the daemon for the server and state dir named by the command line."""
    daemon_run_from_args(sys.argv[1:])


if __name__ == "__main__":
    main()
