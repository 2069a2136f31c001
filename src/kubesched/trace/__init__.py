"""Trace replay: the Alibaba openb GPU trace decided by the engine, by the FGD paper's protocol
(`kubesched trace openb`); see README.md beside this file."""
