"""MES: pricing jobs (dispatched to the worker pool), production jobs and the operator actions on them."""
