import { render } from "preact";

render(<p>Argus</p>, document.getElementById("app")!);
