"""Regulator offices (市场监督管理局) and jurisdiction by region code."""
