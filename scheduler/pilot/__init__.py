"""The pilot: predicted against conventional timing on real requests, with statistics and ROI."""
