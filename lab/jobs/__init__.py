"""Jobs: the FIFO queue (one trainer at a time), what a job runs (dispatch), evaluation jobs, and a run in its
own process (isolation)."""
