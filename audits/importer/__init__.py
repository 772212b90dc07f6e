"""Data-package importer: read a package folder (CSV/XLSX), validate, load into the store."""
from .load import LoadResult, PackageError, load_package, package_hash

__all__ = ["load_package", "LoadResult", "PackageError", "package_hash"]
