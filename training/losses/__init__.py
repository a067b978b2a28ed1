"""Loss modules: each returns named terms and is switched on by config."""
