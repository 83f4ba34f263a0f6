// Intentionally empty: keeps a module library linkable before it has sources.
