// A spinner drawn as text, as many apps draw one, turning every 100 ms for `ms`; then `draw()`.
function drawAfterLoading(ms, draw) {
  const main = document.getElementById("main");
  main.textContent = "Loading";
  const spin = setInterval(() => {
    main.textContent = main.textContent.length < 10 ? main.textContent + "." : "Loading";
  }, 100);
  setTimeout(() => {
    clearInterval(spin);
    draw();
  }, ms);
}
