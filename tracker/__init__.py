"""The learner's history: SQLModel tables, the SQLite store and a fast read-only summary.

Import the parts directly (`mldojo.tracker.store`, `mldojo.tracker.summary`): this package
module stays empty so `import mldojo.tracker.summary` does not pull in SQLModel.
"""
