"""Reading and checking the inputs; the StudyArea; demo data."""
