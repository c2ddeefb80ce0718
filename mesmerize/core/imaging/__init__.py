"""Imaging data: TIFF I/O, ImgData and image-sequence operations."""
