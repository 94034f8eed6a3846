"""chroma's CLIP-guided diffusion core (torch + open_clip; no colour management)."""
