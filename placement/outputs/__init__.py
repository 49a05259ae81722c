"""What a person sees: text reports, CSV tables, GeoJSON and maps of a placement."""
