"""The papers (文书) a case's decisions issue: numbered per office and year, rendered to PDF from
the templates of documents/, stored once, their SHA-256 on the case's hash chain."""
