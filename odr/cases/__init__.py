"""Cases: the complaint, its hash-chained events and evidence; submit(), act() and the sweeper."""
