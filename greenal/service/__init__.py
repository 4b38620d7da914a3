"""greenal's web service: the PACT v3 host API (`pact`) and the web pages (`web`) over the registry."""
