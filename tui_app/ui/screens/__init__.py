"""One screen per wizard step."""

from tui_app.ui.screens.arguments import ArgumentsScreen
from tui_app.ui.screens.connect import ConnectScreen
from tui_app.ui.screens.folder import FolderScreen
from tui_app.ui.screens.process import ProcessScreen
from tui_app.ui.screens.release import ReleaseScreen
from tui_app.ui.screens.review import ReviewScreen
from tui_app.ui.screens.run import RunScreen
from tui_app.ui.screens.strategy import StrategyScreen

SCREENS = {
    "Connect": ConnectScreen,
    "Folder": FolderScreen,
    "Process": ProcessScreen,
    "Release": ReleaseScreen,
    "Strategy": StrategyScreen,
    "Arguments": ArgumentsScreen,
    "Review": ReviewScreen,
    "Run": RunScreen,
}
