"""Review inbox: what the assistant did not understand, turned into training data.

Capture (relay broker -> POST /internal/review, never from a coach case), a
maintainer's inbox grouped by similarity, and writing assigned examples into data/nlu.
"""
