"""Where the lab runs: paths on disk, whether the Hugging Face Hub is reachable, the hardware profile (CPU or
GPU sizes), and which process of a data-parallel run this is. Leaves: nothing else of the lab is imported here."""
