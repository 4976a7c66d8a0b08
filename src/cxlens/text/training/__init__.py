"""How the shipped sentiment heads are built and measured: data sets, training, evaluation."""
