"""Array kernels: pure functions on NumPy arrays, Numba-compiled with NumPy references."""
