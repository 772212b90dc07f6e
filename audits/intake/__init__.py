"""Bringing in data as inspectors receive it, in forms other than the data package's own
(``docs/intake.md``): OCDS contracts (``ocds``)."""
