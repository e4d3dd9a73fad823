"""`python -m forewarn.services.contracts [--check]`: write the exports, or check them."""

from .export import main

main()
