"""The local stack: SecantusDB, moto, and a gateway that runs the template's functions without Docker."""
