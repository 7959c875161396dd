"""ckanext-plusresilient: open data for social innovation in the +RESILIENT network."""
