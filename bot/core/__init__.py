"""The dependency-free core: every package may import it; it imports none of them."""
