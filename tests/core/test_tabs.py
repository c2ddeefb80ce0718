"""Project Browser tabs: root reflects the project, new tabs from filters, in-place filtering,
filter history, names, refresh after the project DataFrame changes, change events."""
import pandas as pd
import pytest

from mesmerize.core.errors import FilterSyntaxError, ProjectError
from mesmerize.core.project.filters import apply_filters
from mesmerize.core.project.tabs import ROOT_TAB, TabCollection, TabEvent


class FakeProject:
    def __init__(self, df):
        self.dataframe = df


@pytest.fixture
def project():
    return FakeProject(pd.DataFrame({
        "SampleID": ["a1-_-t1", "a1-_-t1", "a1-_-t2", "a2-_-t1", "a2-_-t1", "a3-_-t9"],
        "cell_name": ["atena", "atenp", "mn_l", "palp", "pr_r", "pr_l"],
        "promoter": ["pc2", "cng_ch4", "pc2", "pc2", "cng_ch4", "pc1"],
        "stage": [48, 52, 60, 48, 100, 7],
    }))


@pytest.fixture
def tabs(project):
    return TabCollection(lambda: project.dataframe)


@pytest.fixture
def events(tabs):
    received = []
    tabs.changed.connect(received.append)
    return received


def test_root_tab_is_the_project_dataframe(tabs, project):
    assert tabs.names() == [ROOT_TAB] and len(tabs) == 1 and ROOT_TAB in tabs
    root = tabs.get(ROOT_TAB)
    assert root.name == "root" and root.dataframe is project.dataframe
    assert root.filter_history == []
    project.dataframe = project.dataframe.iloc[:2]
    assert tabs.get("root").dataframe is project.dataframe


def test_create_tab_from_root(tabs, project, events):
    tab = tabs.create_tab("aten", filters={"cell_name": "aten"})
    assert tab.name == "aten"
    assert list(tab.dataframe.index) == [0, 1]
    assert tab.filter_history == [
        "df[df['cell_name'].astype(str).str.contains('aten', regex=False)]"]
    assert tabs.names() == ["root", "aten"]
    assert events == [TabEvent("created", "aten")]
    pd.testing.assert_frame_equal(eval(tab.filter_history[0], {"df": project.dataframe}),
                                  tab.dataframe)


def test_blank_filters_copy_the_source(tabs, project):
    tab = tabs.create_tab("all", filters={"cell_name": "", "promoter": ""})
    pd.testing.assert_frame_equal(tab.dataframe, project.dataframe)
    assert tab.filter_history == []
    assert tabs.create_tab("all2").filter_history == []


def test_tab_from_tab_extends_history(tabs):
    tabs.create_tab("pr", filters={"cell_name": "pr"})
    tab = tabs.create_tab("pr_pc", source_tab="pr", filters={"promoter": "pc2|cng_ch4"})
    assert list(tab.dataframe.index) == [4]
    assert tab.filter_history[0] == tabs.get("pr").filter_history[0]
    assert len(tab.filter_history) == 2
    assert list(tabs.get("pr").dataframe.index) == [4, 5]  # source untouched


def test_apply_in_place(tabs, project, events):
    tabs.create_tab("pr", filters={"cell_name": "pr"})
    tab = tabs.apply_in_place("pr", {"promoter": "$STR=:pc1"})
    assert list(tab.dataframe.index) == [5]
    assert len(tab.filter_history) == 2
    assert events[-1] == TabEvent("filtered", "pr")
    replay = project.dataframe
    for expr in tab.filter_history:
        replay = eval(expr, {"df": replay})
    pd.testing.assert_frame_equal(replay, tab.dataframe)


def test_root_cannot_be_filtered_in_place_removed_or_renamed(tabs):
    for action in (lambda: tabs.apply_in_place("root", {"cell_name": "aten"}),
                   lambda: tabs.remove("root"), lambda: tabs.rename("root", "x")):
        with pytest.raises(ProjectError, match="create_tab"):
            action()


def test_tab_names_unique_non_empty_not_root(tabs):
    tabs.create_tab("a")
    for bad, match in (("a", "already exists"), ("", "non-empty"), ("   ", "non-empty"),
                       (None, "non-empty"), ("root", "reserved")):
        with pytest.raises(ProjectError, match=match):
            tabs.create_tab(bad)
    assert tabs.names() == ["root", "a"]


def test_unknown_tab(tabs):
    for action in (lambda: tabs.get("nope"), lambda: tabs.create_tab("x", source_tab="nope"),
                   lambda: tabs.apply_in_place("nope", {}), lambda: tabs.remove("nope")):
        with pytest.raises(ProjectError, match="no tab named 'nope'"):
            action()


def test_bad_filter_creates_no_tab(tabs, events):
    with pytest.raises(FilterSyntaxError):
        tabs.create_tab("bad", filters={"cell_name": "$>:3"})
    assert tabs.names() == ["root"] and events == []
    tabs.create_tab("ok")
    with pytest.raises(FilterSyntaxError):
        tabs.apply_in_place("ok", {"stage": "$<:x"})
    assert tabs.get("ok").filter_history == []
    assert len(tabs.get("ok").dataframe) == 6


def test_remove_and_rename(tabs, events):
    tabs.create_tab("a")
    tabs.create_tab("b", filters={"stage": "$>:50"})
    tabs.create_tab("c")
    tabs.rename("b", "big")
    assert tabs.names() == ["root", "a", "big", "c"]
    assert events[-1] == TabEvent("renamed", "big", "b")
    assert tabs.get("big").filter_history == ["df[df['stage'] > 50]"]
    with pytest.raises(ProjectError, match="already exists"):
        tabs.rename("a", "c")
    tabs.rename("a", "a")
    tabs.remove("a")
    assert tabs.names() == ["root", "big", "c"] and "a" not in tabs
    assert events[-1] == TabEvent("removed", "a")


def test_refresh_replays_filters_on_new_root(tabs, project, events):
    tabs.create_tab("pr", filters={"cell_name": "pr"})
    tabs.apply_in_place("pr", {"stage": "$<:50"})
    tabs.create_tab("pr_pc1", source_tab="pr", filters={"promoter": "pc1"})
    assert list(tabs.get("pr").dataframe.index) == [5]
    new_root = pd.concat([project.dataframe, pd.DataFrame({
        "SampleID": ["a4-_-t1"], "cell_name": ["pr_x"], "promoter": ["pc1"], "stage": [3]},
        index=[6])])
    project.dataframe = new_root
    assert list(tabs.get("pr").dataframe.index) == [5]  # cached until refresh
    tabs.refresh()
    assert events[-1] == TabEvent("refreshed", None)
    assert list(tabs.get("pr").dataframe.index) == [5, 6]
    assert list(tabs.get("pr_pc1").dataframe.index) == [5, 6]
    expected, history = apply_filters(new_root, {"cell_name": "pr"})
    expected, more = apply_filters(expected, {"stage": "$<:50"})
    assert tabs.get("pr").filter_history == history + more
    assert len(tabs.get("pr_pc1").filter_history) == 3


def test_failed_refresh_leaves_tabs_unchanged(tabs, project):
    tabs.create_tab("pr", filters={"cell_name": "pr"})
    tabs.create_tab("p", filters={"promoter": "pc"})
    before = tabs.get("p").dataframe
    project.dataframe = project.dataframe.drop(columns="cell_name")
    with pytest.raises(FilterSyntaxError, match="Tab 'pr'"):
        tabs.refresh()
    assert tabs.get("p").dataframe is before


def test_get_returns_independent_history(tabs):
    tabs.create_tab("a", filters={"stage": "$>:50"})
    tabs.get("a").filter_history.append("junk")
    assert tabs.get("a").filter_history == ["df[df['stage'] > 50]"]
