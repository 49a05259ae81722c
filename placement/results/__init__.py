"""Results: decoding a solver's values into decisions, the frozen result, and the verifier."""
