"""jikimi (지킴이): the software a digital-sex-crime victim support centre runs on."""

__version__ = "0.1.0"
