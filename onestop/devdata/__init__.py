"""Development data, kept out of the domain: the demo province (`demo`) and bulk synthetic dossiers (`generate`)."""
