"""Finding a case (案件查询): the search box of the regulator desk and the enterprise portal."""
