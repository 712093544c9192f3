"""Web evidence capture (网络取证): a page fixed, as odr's browser received it, into a case's chain."""
