"""cinealert: disaster alerts in, seamlessly looping 3D cinemagraphs out."""

__version__ = "0.1.0"
