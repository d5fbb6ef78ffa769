"""Scripts behind the make targets (load, faults, embedded mode) and their shared harness."""
