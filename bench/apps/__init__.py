"""Apps that exist only for the benchmark; none of them ships."""
