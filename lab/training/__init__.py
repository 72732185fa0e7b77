"""Training: immutable events, the trainer callback, the runner (numbered steps) and the job queue."""
