"""nn: neurons, layers and training built from autograd_core Values."""
