"""Errors that the command line turns into one clear line and exit status 2."""


class InputError(ValueError):
    """Bad input or an unusable option: the user can fix it.

    The command line prints ``str(error)`` on one line and exits with status 2.
    """


class BackendUnavailable(InputError):
    """A backend the user asked for cannot run here (missing package, folder or weights)."""
