"""ROIs: manual and CNMF ROI types, the ROI list, masks, curve extraction, ImageJ import."""
