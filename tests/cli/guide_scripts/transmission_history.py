# Flowchart chapter: "Load a saved Transmission" and "View History Log"
from mesmerize import Transmission
from uuid import UUID

t = Transmission.from_hdf5(trn_path)

# The DataFrame is always the 'df' attribute
print(t.df.head())

# To view the history log, first get the block UUID of the dataframe row of which you want the history log

# Block UUIDs are stored in the _BLOCK_ column
bid = t.df.iloc[10]._BLOCK_
print(bid)

# Get the history log of this data block
# HistoryTrace.get_operations_list() returns a list of operations, without parameters
# HistoryTrace.get_data_block_history() returns the operations list with the parameters
print(t.history_trace.get_operations_list(bid))

# View the entire history log with all params
print(t.history_trace.get_data_block_history(bid))

# Get the parameters for the 'fcluster' operation
fp = t.history_trace.get_operation_params(bid, 'fcluster')

# remove the linkage matrix first so we can view the other params
fp.pop('linkage_matrix');print(fp)
