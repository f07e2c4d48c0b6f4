"""The conversation: the state machine, the overflow offer, the prompts catalogue and phrasing."""
