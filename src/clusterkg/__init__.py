"""clusterkg: a knowledge graph of Norwegian innovation clusters."""

__version__ = "0.1.0"
