"""odr: online dispute resolution for consumer complaints."""
