"""Persistence: engine construction, typed models, repositories, and the on-disk picture store."""
