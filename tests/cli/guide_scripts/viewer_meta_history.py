# Viewer console: "View meta data" and "View history trace"
print(get_meta())
print(get_workEnv().history_trace)
